"""The fakes of what is outside the project, shared by every suite: a model provider (provider.py, every family's
wire format in families.py) and an OAuth 2 authorization server (oauth.py), over HTTPS with the test CA (tls.py).
The browser tests run them in-process; the Swift suites start them as processes with serve.py."""
