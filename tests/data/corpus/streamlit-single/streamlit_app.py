import streamlit as st

st.write('Hello world')
