"""The Streamlit page: screen uploaded papers, and look at a batch's survey statistics.

Run from the repository root: `make app`, or
`streamlit run app.py --server.address 127.0.0.1 --server.headless true`.
Everything it shows comes from the library calls the CLI makes (see screener/app_support.py).
"""

from pathlib import Path

import streamlit as st

from screener import app_support

st.set_page_config(page_title="screener: validity threats in ML papers", layout="wide")
st.title("screener")
st.caption(
    "Which conclusions of an ML paper rest on shaky ground: a validity profile with evidence."
)

settings = app_support.sidebar()
screen_tab, survey_tab = st.tabs(["Screen papers", "Survey of a batch"])
with screen_tab:
    app_support.screen_page(settings, example_folder=Path(__file__).resolve().parent / "examples")
with survey_tab:
    app_support.survey_page()
