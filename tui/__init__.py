"""The medkb front ends: the command line and the Textual dashboard."""
