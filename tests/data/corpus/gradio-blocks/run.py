import gradio as gr

from utils import greet

with gr.Blocks(title="Greeter") as demo:
    name = gr.Textbox(label="Name")
    out = gr.Textbox(label="Greeting")
    name.submit(greet, name, out)

if __name__ == "__main__":
    demo.launch()
