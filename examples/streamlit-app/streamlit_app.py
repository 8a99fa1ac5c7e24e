"""A Streamlit app that charts a small CSV file."""

import csv
from pathlib import Path

import streamlit as st

rows = list(csv.DictReader((Path(__file__).parent / "data" / "sales.csv").open()))
st.title("Sales explorer")
st.bar_chart({row["month"]: float(row["total"]) for row in rows})
