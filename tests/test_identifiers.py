"""SIREN / SIRET / NAF checks (domain.md §1)."""

import pytest

from app.domain.identifiers import (
    declaration_activite_error,
    naf_error,
    normalise_naf,
    siren_error,
    siret_error,
    siret_matches_siren_error,
)


@pytest.mark.parametrize("siren", ["732829320", "552100554", "356000000", "732 829 320"])
def test_valid_sirens(siren):
    assert siren_error(siren) is None


@pytest.mark.parametrize(
    "siren, message",
    [
        ("732829321", "clé de contrôle"),
        ("12345678", "9 chiffres"),
        ("1234567890", "9 chiffres"),
        ("73282932A", "9 chiffres"),
        ("", "9 chiffres"),
        (None, "9 chiffres"),
    ],
)
def test_invalid_sirens(siren, message):
    assert message in siren_error(siren)


@pytest.mark.parametrize("siret", ["73282932000074", "55210055400013"])
def test_valid_sirets(siret):
    assert siret_error(siret) is None


def test_invalid_siret_luhn():
    assert "clé de contrôle" in siret_error("73282932000075")


@pytest.mark.parametrize("siret", ["1234567890123", "123456789012345", "7328293200007X"])
def test_siret_must_have_14_digits(siret):
    assert "14 chiffres" in siret_error(siret)


def test_la_poste_sirets_follow_the_sum_of_digits_rule():
    # 35600000049837 fails Luhn but its digits add up to 45, a multiple of 5.
    assert siret_error("35600000049837") is None
    assert "La Poste" in siret_error("35600000049838")


def test_siret_must_start_with_the_organisation_siren():
    assert siret_matches_siren_error("73282932000074", "732829320") is None
    assert "732829320" in siret_matches_siren_error("55210055400013", "732829320")


def test_naf_and_declaration():
    assert naf_error("85.59A") is None and naf_error("8559A") is None
    assert "4 chiffres et une lettre" in naf_error("85591")
    assert normalise_naf("8559a") == "85.59A"
    assert declaration_activite_error("11755555575") is None
    assert "11 chiffres" in declaration_activite_error("1175555557")


def test_siret_whose_siren_is_invalid_is_refused():
    # The 14 digits pass Luhn, but the first 9 (800000020) are not a valid SIREN: python-stdnum refuses it.
    assert siren_error("800000020") is not None
    assert "clé de contrôle" in siret_error("80000002000092")


def test_la_poste_head_office_follows_luhn():
    # La Poste's head office (digits adding up to 26) is the one SIRET of La Poste that follows Luhn.
    assert siret_error("35600000000048") is None
    assert siret_error("356 000 000 00048") is None
    assert "La Poste" in siret_error("35600000000049")


@pytest.mark.parametrize("siret", ["732.829.320.00074", "٧٣٢٨٢٩٣٢٠٠٠٠٧٤"])
def test_siret_digits_are_plain_digits(siret):
    # Dots are not stripped (the SIRET is stored as typed, spaces removed); digits of other scripts are refused.
    assert "14 chiffres" in siret_error(siret)


def test_siren_digits_are_plain_digits():
    assert "9 chiffres" in siren_error("٧٣٢٨٢٩٣٢٠")
