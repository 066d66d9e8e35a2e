"""Encrypted file-system media store for cpdcore (AES-256-GCM, crypto-shredding, streaming)."""
