import gradio as gr


def classify(text):
    return {"positive": 0.7, "negative": 0.3}


demo = gr.Interface(fn=classify, inputs="text", outputs="label", examples=[["great"]])

if __name__ == "__main__":
    demo.launch()
