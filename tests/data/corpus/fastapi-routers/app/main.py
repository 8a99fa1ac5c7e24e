from fastapi import FastAPI

from .routers import items, users

app = FastAPI(title="Bigger Applications")
app.include_router(users.router)
app.include_router(items.router)


@app.get("/")
async def root():
    return {"message": "Hello Bigger Applications!"}
