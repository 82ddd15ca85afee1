"""Cryptographic building blocks of the hub: keys, field encryption, JWS, status lists, VCs.

Pure library code with no I/O besides the key directory: the composition root wires a
:class:`~access.crypto.keys.KeyRing` into the e-license store (field encryption, blind index),
the licensed-call flow (signed W3C VC responses) and the published JWKS / status lists.
"""
