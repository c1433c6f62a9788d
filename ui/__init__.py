"""Streamlit-side helpers shared by pages: session workspace, sidebar, messages. No ML logic here."""
