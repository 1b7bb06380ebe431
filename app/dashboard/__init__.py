"""The officials' dashboard in the browser: server-rendered pages over the reports."""
