import streamlit as st

st.line_chart([1, 2, 3])
