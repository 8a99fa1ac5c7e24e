"""A FastAPI app using shared code from libs/common (bundled as `common`)."""

import os

from fastapi import FastAPI

from common.greetings import greet

app = FastAPI(title="Greeter")


@app.get("/greet/{name}")
def greet_route(name: str) -> dict[str, str]:
    return {"message": greet(name), "greeting": os.environ.get("GREETING", "hello")}
