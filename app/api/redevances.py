"""(issue 5, in progress)"""


def register(appbuilder):
    pass
