"""Fakes of remote services, listening on 127.0.0.1 and speaking the real wire formats."""
