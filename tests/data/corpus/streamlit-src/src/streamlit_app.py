import pandas as pd
import streamlit as st

st.title("Uber pickups")
data = pd.DataFrame({"a": [1, 2]})
st.line_chart(data)
