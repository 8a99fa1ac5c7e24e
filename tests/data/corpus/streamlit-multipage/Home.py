import streamlit as st

st.set_page_config(page_title='Home')
st.write('# Welcome')
