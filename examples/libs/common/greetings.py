"""Greeting helpers shared by the example apps."""


def greet(name: str) -> str:
    return f"Hello, {name}!"
