"""Screens: the dashboard, one engagement, and the modal dialogs and forms."""
