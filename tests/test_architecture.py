"""The shape of the code the issue asked for, checked on the source itself: no import cycle between our
modules, no decision by a profile's name outside the access matrix, no raw status string in templates."""

import ast
import pathlib
import re

APP = pathlib.Path(__file__).resolve().parent.parent / "app"
PROFILE_NAMES = {
    "CERTIF_PRO",
    "CERTIFICATEUR",
    "MEMBRE_JURY",
    "ADMIN_RESEAU",
    "SUPERVISEUR_RESEAU",
    "ADMIN_ORGANISME",
    "UTILISATEUR_ORGANISME",
    "ADMIN_ETABLISSEMENT",
    "UTILISATEUR_ETABLISSEMENT",
    "OF_PROFILES",
    "BACK_OFFICE_PROFILES",
    "OF_WITH_FILES",
}


def _modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in APP.rglob("*.py"):
        parts = path.relative_to(APP.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: pathlib.Path, modules) -> set[str]:
    """Every module of ours this file imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in modules else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("app"))
    return found


def _cycles(graph) -> list[list[str]]:
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return result


def test_no_import_cycle_between_our_modules():
    modules = _modules()
    graph = {name: {m for m in _imports(path, modules) if m in modules and m != name} for name, path in modules.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_decision_by_a_profile_name_outside_the_matrix():
    offenders = []
    for name, path in _modules().items():
        if name in ("app.domain.access", "app.demo", "app.bench_data"):  # data that gives accounts their profile
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in PROFILE_NAMES
                and isinstance(node.value, ast.Name)
                and node.value.id == "access"
            ):
                offenders.append(f"{name}:{node.lineno} access.{node.attr}")
            if (
                isinstance(node, ast.Compare)
                and any(
                    isinstance(side, ast.Attribute) and side.attr == "profil" for side in [node.left, *node.comparators]
                )
                and any(isinstance(side, ast.Constant) and isinstance(side.value, str) for side in node.comparators)
            ):
                offenders.append(f"{name}:{node.lineno} compares .profil with a literal")
    assert offenders == []


def test_templates_ask_the_machine_instead_of_comparing_statuses():
    from app.domain import statuts

    codes = "|".join(statuts.STATUTS)
    pattern = re.compile(rf"statut\s*(==|!=|in)\s*[\(\[]?\s*'({codes})'")
    offenders = [
        f"{path.name}:{n}"
        for path in (APP / "templates").rglob("*.html")
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
