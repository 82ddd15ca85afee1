"""The key ring: signing keys (ES256 / Ed25519), AES-256 data keys and the blind-index key.

Why one object: the hub signs responses, checkpoints and e-licenses, encrypts personal fields
at rest and computes keyed blind indexes, and every one of those must name the key it used (a
``kid``) so that keys can be rotated without re-issuing anything: the active key does new work,
retired keys stay in the ring to verify old signatures and decrypt old ciphertexts.

Storage: a directory (never inside the repository), one JSON file per key under ``keys/`` and a
``keyring.json`` naming the active keys, all written atomically with mode 0600 in a 0700
directory. Loading refuses files that group or others can read: a leaked data key exposes every
citizen's fields, so a wrong mode is an error, not a warning. A dev key set is generated on the
first run (:meth:`KeyRing.load_or_create`); production provisions the directory the same way.

Private material never leaves through ``repr``/``str`` of any object here, and no function logs.
The blind-index key is deliberately not rotatable here: rotating it means recomputing every
stored index, which is a migration, not a key-ring operation.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, TypeVar

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey

from access.crypto.keyfiles import (
    KeyStoreError,
    KeyStoreErrorCode,
    corrupt,
    locked,
    read_private,
    write_private,
)

__all__ = [
    "DataKey",
    "IndexKey",
    "KeyRing",
    "KeyStoreError",
    "KeyStoreErrorCode",
    "SigningAlgorithm",
    "SigningKey",
    "UnknownKeyError",
    "is_valid_kid",
]

_FORMAT: Final = "irs-keyring/1"
_MANIFEST: Final = "keyring.json"
_KEYS_DIR: Final = "keys"
_SECRET_LEN: Final = 32  # AES-256 and HMAC-SHA256 keys
_KID_RE: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")

_K = TypeVar("_K", "SigningKey", "DataKey")


class SigningAlgorithm(StrEnum):
    """JWS algorithms the hub signs with (RFC 7518 ES256; RFC 9864 fully specified Ed25519).

    ES256 is the default: it is what every JOSE implementation and HSM supports.
    """

    ES256 = "ES256"
    ED25519 = "Ed25519"


class UnknownKeyError(LookupError):
    """No key with this kid (and purpose) is in the ring.

    Why typed: a ciphertext or signature naming an unknown kid is either data from another
    deployment or tampering; callers map it to their own typed error.
    """

    code: Final = "UNKNOWN_KEY"

    def __init__(self, purpose: str, kid: str) -> None:
        """Remember which purpose and kid were asked for (the kid is shown shortened)."""
        shown = kid if is_valid_kid(kid) else "<invalid kid>"
        super().__init__(f"no {purpose} key with kid {shown!r}")
        self.purpose = purpose
        self.kid = kid


def is_valid_kid(kid: object) -> bool:
    """Whether ``kid`` is usable as a key id: 1-64 chars of base64url (no dots, no spaces).

    Why restricted: kids are embedded in dot-separated ciphertext strings and file names.
    """
    return isinstance(kid, str) and _KID_RE.fullmatch(kid) is not None


def _b64u(data: bytes) -> str:
    """base64url without padding (the JOSE encoding)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64u(text: str) -> bytes:
    """Decode base64url with or without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _now() -> datetime:
    """The current time in UTC, to the second (what the key files record)."""
    return datetime.now(UTC).replace(microsecond=0)


class SigningKey:
    """A private signing key with its kid and algorithm.

    Why a wrapper: the JOSE key object must never be printed; this class shows only public
    facts. :meth:`jose_key` hands the private key to :mod:`access.crypto.jws` only.
    """

    __slots__ = ("_jose", "alg", "created", "kid")

    def __init__(
        self, *, kid: str, alg: SigningAlgorithm, created: datetime, jose: ECKey | OKPKey
    ) -> None:
        """Wrap an already-validated private key (use :meth:`generate` or :class:`KeyRing`)."""
        if not is_valid_kid(kid):
            raise ValueError("invalid kid")
        self.kid = kid
        self.alg = alg
        self.created = created
        self._jose = jose

    @classmethod
    def generate(cls, alg: SigningAlgorithm = SigningAlgorithm.ES256) -> SigningKey:
        """Create a fresh key; its kid is its RFC 7638 JWK thumbprint (stable, collision-free)."""
        jose: ECKey | OKPKey
        if alg is SigningAlgorithm.ES256:
            jose = ECKey.generate_key("P-256", private=True)
        else:
            jose = OKPKey.generate_key("Ed25519", private=True)
        kid = jose.thumbprint()
        jose = _with_params(jose, kid, alg)
        return cls(kid=kid, alg=alg, created=_now(), jose=jose)

    def jose_key(self) -> ECKey | OKPKey:
        """The joserfc private key, for :mod:`access.crypto.jws` (do not log or serialize it)."""
        return self._jose

    def public_jwk(self) -> dict[str, Any]:
        """The public JWK (RFC 7517) with ``kid``, ``alg`` and ``use: sig``."""
        jwk = dict(self._jose.as_dict(private=False))
        jwk.update(kid=self.kid, alg=str(self.alg), use="sig")
        return jwk

    def __repr__(self) -> str:
        """Public facts only."""
        created = self.created.isoformat()
        return f"SigningKey(kid={self.kid!r}, alg={self.alg.value!r}, created={created!r})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        """Refuse pickling: private keys must not travel through caches or process pools."""
        raise TypeError("SigningKey cannot be pickled")


def _with_params(jose: ECKey | OKPKey, kid: str, alg: SigningAlgorithm) -> ECKey | OKPKey:
    """Re-import a key with kid/alg/use set, so joserfc enforces them when signing."""
    data = dict(jose.as_dict(private=True))
    data.update(kid=kid, alg=str(alg), use="sig")
    if alg is SigningAlgorithm.ES256:
        return ECKey.import_key(data)
    return OKPKey.import_key(data)


class _SecretKey:
    """Shared shape of the symmetric keys: a kid, a creation time and 32 secret bytes."""

    __slots__ = ("_secret", "created", "kid")
    _label: str = "secret"

    def __init__(self, *, kid: str, created: datetime, secret: bytes) -> None:
        """Wrap 32 secret bytes."""
        if not is_valid_kid(kid):
            raise ValueError("invalid kid")
        if len(secret) != _SECRET_LEN:
            raise ValueError(f"{self._label} keys are {_SECRET_LEN} bytes")
        self.kid = kid
        self.created = created
        self._secret = bytes(secret)

    def __repr__(self) -> str:
        """Public facts only."""
        return f"{type(self).__name__}(kid={self.kid!r}, created={self.created.isoformat()!r})"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        """Refuse pickling: secret keys must not travel through caches or process pools."""
        raise TypeError(f"{type(self).__name__} cannot be pickled")


class DataKey(_SecretKey):
    """An AES-256-GCM key for personal fields at rest.

    Why only an ``aead()`` accessor: callers (``access.crypto.fields``) need the cipher, never
    the bytes.
    """

    __slots__ = ("_aead",)
    _label = "data"

    def __init__(self, *, kid: str, created: datetime, secret: bytes) -> None:
        """Wrap 32 secret bytes and prepare the AES-GCM cipher."""
        super().__init__(kid=kid, created=created, secret=secret)
        self._aead = AESGCM(self._secret)

    @classmethod
    def generate(cls) -> DataKey:
        """A fresh random key with a random kid (``dk-...``)."""
        return cls(kid=f"dk-{secrets.token_hex(8)}", created=_now(), secret=secrets.token_bytes(32))

    def aead(self) -> AESGCM:
        """The AES-256-GCM cipher of this key."""
        return self._aead


class IndexKey(_SecretKey):
    """The HMAC-SHA256 key of the blind index, separate from every data key.

    Why separate: the index must stay stable across data-key rotations, and a leaked index key
    must not decrypt anything.
    """

    __slots__ = ()
    _label = "index"

    @classmethod
    def generate(cls) -> IndexKey:
        """A fresh random key with a random kid (``ix-...``)."""
        return cls(kid=f"ix-{secrets.token_hex(8)}", created=_now(), secret=secrets.token_bytes(32))

    def mac(self, message: bytes) -> bytes:
        """HMAC-SHA256 of ``message`` under this key."""
        return hmac.digest(self._secret, message, "sha256")  # one-shot C path


class KeyRing:
    """All keys of one deployment: active + retired signing and data keys, one index key.

    Why: one place answers "which key signs / encrypts now" and "which key has this kid", and
    rotation is one call that also persists (when the ring was loaded from a directory).
    """

    def __init__(
        self,
        *,
        signing: list[SigningKey],
        data: list[DataKey],
        index: IndexKey,
        active_signing: str,
        active_data: str,
        directory: Path | None = None,
    ) -> None:
        """Assemble a ring; the active kids must be among the given keys."""
        self._signing = {k.kid: k for k in signing}
        self._data = {k.kid: k for k in data}
        if active_signing not in self._signing or active_data not in self._data:
            raise ValueError("active keys must be in the ring")
        self._index = index
        self._active_signing = active_signing
        self._active_data = active_data
        self._directory = directory

    # ------------------------------------------------------------------ creation / storage

    @classmethod
    def generate(cls, *, signing_alg: SigningAlgorithm = SigningAlgorithm.ES256) -> KeyRing:
        """A fresh in-memory ring (tests, or before :meth:`save`)."""
        sk, dk = SigningKey.generate(signing_alg), DataKey.generate()
        return cls(
            signing=[sk],
            data=[dk],
            index=IndexKey.generate(),
            active_signing=sk.kid,
            active_data=dk.kid,
        )

    @classmethod
    def load_or_create(
        cls, directory: Path, *, signing_alg: SigningAlgorithm = SigningAlgorithm.ES256
    ) -> KeyRing:
        """Load the ring in ``directory``, generating and saving a new one on first run.

        Why: a newcomer's first start must just work (dev keys appear), and a restart must
        reuse them. Several processes starting at once agree on one ring (a file lock).
        """
        directory = Path(directory)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with locked(directory):
            if not (directory / _MANIFEST).exists():
                ring = cls.generate(signing_alg=signing_alg)
                ring._directory = directory
                ring._save_all()
                return ring
            return cls._load_unlocked(directory)

    @classmethod
    def load(cls, directory: Path) -> KeyRing:
        """Load an existing ring; rotations on it are persisted back to ``directory``.

        Raises:
            KeyStoreError: missing, malformed, or group/other-readable files.
        """
        directory = Path(directory)
        if not (directory / _MANIFEST).exists():
            raise KeyStoreError(
                "KEY_STORE_MISSING",
                "密钥目录中没有密钥环",
                "no key ring in the key directory",
                str(directory),
            )
        with locked(directory):
            return cls._load_unlocked(directory)

    def save(self, directory: Path) -> None:
        """Write every key and the manifest to ``directory`` and bind the ring to it."""
        directory = Path(directory)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with locked(directory):
            self._directory = directory
            self._save_all()

    def refresh(self) -> bool:
        """Re-read the directory, picking up keys another process rotated in.

        Why explicit: several API replicas share one key directory; after one rotates, the
        others call this (e.g. periodically, or when a kid is unknown — rate-limited by the
        caller, since unknown kids can be attacker-chosen). Returns whether anything changed.
        In-memory rings (no directory) never change.
        """
        if self._directory is None:
            return False
        fresh = KeyRing.load(self._directory)
        before = (set(self._signing), set(self._data), self._active_signing, self._active_data)
        self._signing, self._data = fresh._signing, fresh._data
        self._index = fresh._index
        self._active_signing, self._active_data = fresh._active_signing, fresh._active_data
        return before != (
            set(self._signing),
            set(self._data),
            self._active_signing,
            self._active_data,
        )

    @property
    def directory(self) -> Path | None:
        """Where rotations are persisted (None for an in-memory ring)."""
        return self._directory

    # ------------------------------------------------------------------ lookup

    @property
    def active_signing_key(self) -> SigningKey:
        """The key that signs new responses, checkpoints and credentials."""
        return self._signing[self._active_signing]

    @property
    def active_data_key(self) -> DataKey:
        """The key that encrypts new personal-field values."""
        return self._data[self._active_data]

    @property
    def index_key(self) -> IndexKey:
        """The blind-index key."""
        return self._index

    def signing_key(self, kid: str) -> SigningKey:
        """The signing key with this kid (active or retired)."""
        try:
            return self._signing[kid]
        except KeyError:
            raise UnknownKeyError("signing", kid) from None

    def data_key(self, kid: str) -> DataKey:
        """The data key with this kid (active or retired)."""
        try:
            return self._data[kid]
        except KeyError:
            raise UnknownKeyError("data", kid) from None

    @property
    def signing_keys(self) -> tuple[SigningKey, ...]:
        """All signing keys, active first, then newest first."""
        return self._ordered(self._signing, self._active_signing)

    @property
    def data_keys(self) -> tuple[DataKey, ...]:
        """All data keys, active first, then newest first."""
        return self._ordered(self._data, self._active_data)

    @staticmethod
    def _ordered(keys: dict[str, _K], active: str) -> tuple[_K, ...]:
        """Active key first, the rest by creation time, newest first."""
        rest: list[_K] = [k for kid, k in keys.items() if kid != active]
        rest.sort(key=_created_at, reverse=True)
        rest.insert(0, keys[active])
        return tuple(rest)

    def public_jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The JWK Set (RFC 7517) of every signing key's public half, for /.well-known/jwks.json.

        Retired keys stay published so that responses signed before a rotation still verify.
        """
        return {"keys": [k.public_jwk() for k in self.signing_keys]}

    # ------------------------------------------------------------------ rotation

    def rotate_signing_key(self, alg: SigningAlgorithm | None = None) -> SigningKey:
        """Make a new signing key active (same algorithm unless ``alg`` is given); keep the old."""
        key = SigningKey.generate(alg or self.active_signing_key.alg)
        self._signing[key.kid] = key
        previous, self._active_signing = self._active_signing, key.kid
        self._persist_rotation(key, lambda: setattr(self, "_active_signing", previous), key.kid)
        return key

    def rotate_data_key(self) -> DataKey:
        """Make a new data key active; old ciphertexts stay decryptable with the old keys."""
        key = DataKey.generate()
        self._data[key.kid] = key
        previous, self._active_data = self._active_data, key.kid
        self._persist_rotation(key, lambda: setattr(self, "_active_data", previous), key.kid)
        return key

    def _persist_rotation(
        self, key: SigningKey | DataKey, undo: Callable[[], None], kid: str
    ) -> None:
        """Write the new key, then the manifest; restore the previous active key on failure."""
        if self._directory is None:
            return
        try:
            with locked(self._directory):
                write_private(self._directory / _KEYS_DIR / f"{kid}.json", _key_record(key))
                write_private(self._directory / _MANIFEST, self._manifest())
        except BaseException:
            undo()
            raise

    # ------------------------------------------------------------------ (de)serialization

    def _manifest(self) -> dict[str, Any]:
        """The manifest naming the active keys."""
        return {
            "format": _FORMAT,
            "active": {"signing": self._active_signing, "data": self._active_data},
            "index": self._index.kid,
        }

    def _save_all(self) -> None:
        """Write every key file, then the manifest (caller holds the lock)."""
        assert self._directory is not None
        keys_dir = self._directory / _KEYS_DIR
        keys_dir.mkdir(mode=0o700, exist_ok=True)
        all_keys: list[SigningKey | DataKey | IndexKey] = [
            *self._signing.values(),
            *self._data.values(),
        ]
        all_keys.append(self._index)
        for key in all_keys:
            write_private(keys_dir / f"{key.kid}.json", _key_record(key))
        write_private(self._directory / _MANIFEST, self._manifest())

    @classmethod
    def _load_unlocked(cls, directory: Path) -> KeyRing:
        """Read the manifest and every key file (caller holds the lock)."""
        manifest = read_private(directory / _MANIFEST)
        try:
            if manifest["format"] != _FORMAT:
                raise ValueError("unknown format")
            active_signing = str(manifest["active"]["signing"])
            active_data = str(manifest["active"]["data"])
            index_kid = str(manifest["index"])
        except (KeyError, TypeError, ValueError) as err:
            raise corrupt(directory / _MANIFEST, f"bad manifest ({type(err).__name__})") from None
        signing: list[SigningKey] = []
        data: list[DataKey] = []
        index: IndexKey | None = None
        for path in sorted((directory / _KEYS_DIR).glob("*.json")):
            key = _parse_key_record(path, read_private(path))
            if isinstance(key, SigningKey):
                signing.append(key)
            elif isinstance(key, DataKey):
                data.append(key)
            elif key.kid == index_kid:
                index = key
        try:
            if index is None:
                raise ValueError("index key missing")
            return cls(
                signing=signing,
                data=data,
                index=index,
                active_signing=active_signing,
                active_data=active_data,
                directory=directory,
            )
        except ValueError as err:
            raise corrupt(
                directory / _MANIFEST, f"active or index key file missing ({err})"
            ) from None

    def __repr__(self) -> str:
        """Kids only."""
        return (
            f"KeyRing(active_signing={self._active_signing!r}, active_data={self._active_data!r}, "
            f"signing_keys={len(self._signing)}, data_keys={len(self._data)}, "
            f"index={self._index.kid!r})"
        )


def _created_at(key: SigningKey | DataKey) -> datetime:
    """Sort key: creation time."""
    return key.created


def _key_record(key: SigningKey | DataKey | IndexKey) -> dict[str, Any]:
    """The JSON record of one key file (private material included: it is a 0600 file)."""
    record: dict[str, Any] = {"kid": key.kid, "created": key.created.isoformat()}
    if isinstance(key, SigningKey):
        record.update(
            purpose="signing", alg=str(key.alg), jwk=dict(key.jose_key().as_dict(private=True))
        )
    else:
        record.update(
            purpose="data" if isinstance(key, DataKey) else "index",
            alg="A256GCM" if isinstance(key, DataKey) else "HS256",
            jwk={"kty": "oct", "k": _b64u(key._secret)},
        )
    return record


def _parse_key_record(path: Path, record: dict[str, Any]) -> SigningKey | DataKey | IndexKey:
    """Rebuild a key from its file, refusing anything inconsistent."""
    try:
        kid = record["kid"]
        created = datetime.fromisoformat(record["created"])
        purpose = record["purpose"]
        jwk = record["jwk"]
        if not is_valid_kid(kid) or path.stem != kid:
            raise ValueError("kid does not match file name")
        if purpose == "signing":
            alg = SigningAlgorithm(record["alg"])
            jose: ECKey | OKPKey
            if alg is SigningAlgorithm.ES256:
                jose = ECKey.import_key(jwk)
            else:
                jose = OKPKey.import_key(jwk)
            if not jose.is_private or jose.thumbprint() != kid:
                raise ValueError("signing key does not match its kid")
            return SigningKey(kid=kid, alg=alg, created=created, jose=_with_params(jose, kid, alg))
        secret = _unb64u(jwk["k"])
        if purpose == "data":
            return DataKey(kid=kid, created=created, secret=secret)
        if purpose == "index":
            return IndexKey(kid=kid, created=created, secret=secret)
        raise ValueError("unknown purpose")
    except (KeyError, TypeError, ValueError, JoseError) as err:
        raise corrupt(path, f"bad key file ({type(err).__name__})") from None
