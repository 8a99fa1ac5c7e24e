import gradio as gr
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
def health():
    return {"ok": True}


io = gr.Interface(lambda x: x, "textbox", "textbox")
app = gr.mount_gradio_app(app, io, path="/gradio")
