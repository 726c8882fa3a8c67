"""Lotse: answers employers' questions about hiring refugees and migrants, hands individual cases to people."""
