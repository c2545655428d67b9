"""Talent registry: teams, individual recognitions and PhD S&T commissioners.

Personal data (names, identity numbers, contacts, team members) stays inside this service;
events and lists carry only the pseudonymous record."""
