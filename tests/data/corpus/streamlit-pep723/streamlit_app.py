# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "streamlit>=1.40",
#   "altair",
# ]
# ///
import streamlit as st

st.title("Inline metadata")
