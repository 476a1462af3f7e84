"""The greeting the service answers with."""


def greeting(name):
    return "hello, " + (name or "world")
