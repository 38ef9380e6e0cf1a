"""SigV4 header authentication for the AWS JSON 1.1 API (``POST /``).

Owns: parsing the ``Authorization`` header, recomputing the canonical request from
what was received, the clock-skew window, and a small LRU of derived signing keys.

Does not own: finding the secret for an access key id (the caller does that between
``parse_authorization`` and ``SigV4Verifier.verify`` and answers an unknown key with
``UnrecognizedClientException``), disabled or expired keys, presigned (query-string)
auth, streaming payloads, or authorization. No I/O and no ``await``.

Error codes and wording follow what AWS JSON services answer, in the same order:
syntax and missing parts → ``IncompleteSignatureException``; a bad credential scope,
an unsigned ``host``, an expired date or a wrong signature → ``InvalidSignatureException``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote_to_bytes

from openssm.errors import (
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
)

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

MISSING_AUTHENTICATION = "Missing Authentication Token"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)

_AMZ_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_REGION = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_REQUIRED_PARAMS = frozenset(("Credential", "Signature", "SignedHeaders"))
_ECHO_MAX = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedRequest:
    """What the HTTP layer hands in: the request exactly as received."""

    method: str
    path: str  # raw, still percent-encoded, e.g. "/"
    query: str  # raw query string, "" when absent
    headers: Mapping[str, str]  # lower-cased names; repeated headers joined by ","
    body: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Credential:
    """The ``Credential=`` part of the Authorization header."""

    access_key_id: str
    date: str  # YYYYMMDD
    region: str
    service: str


@dataclass(frozen=True, slots=True)
class ParsedAuthorization:
    """The Authorization header and its date, checked for shape (see parse_request)."""

    credential: Credential
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str
    signed_at: datetime


def parse_authorization(
    request: SignedRequest, *, service: str = "ssm"
) -> tuple[Credential, list[str], str]:
    """Check all that needs no secret and no clock; return (credential, signed headers, signature).

    Run it before looking up the secret: AWS reports a malformed header or a bad
    credential scope ahead of an unknown access key.
    """
    auth = parse_request(request, service=service)
    return auth.credential, list(auth.signed_headers), auth.signature


def parse_request(request: SignedRequest, *, service: str = "ssm") -> ParsedAuthorization:
    """The checks of ``parse_authorization``, keeping the result for ``verify(parsed=…)``."""
    return _parse(request, service)


class SigV4Verifier:
    """Verifies SigV4 header auth; keeps derived signing keys in a bounded LRU.

    One instance serves the whole process; the cache is guarded by a lock.
    """

    def __init__(
        self, *, service: str = "ssm", max_skew_s: float = 900.0, cache_size: int = 4096
    ) -> None:
        if max_skew_s < 0:
            raise ValueError("max_skew_s must be >= 0")
        if cache_size < 0:
            raise ValueError("cache_size must be >= 0")
        self._service = service
        self._max_skew_s = max_skew_s
        self._cache_size = cache_size
        self._keys: OrderedDict[tuple[bytes, str, str, str, str], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def verify(
        self,
        request: SignedRequest,
        *,
        secret_key: str,
        now: datetime,
        parsed: ParsedAuthorization | None = None,
    ) -> Credential:
        """Return the request's credential if its signature is valid at ``now``.

        ``now`` must be timezone-aware. A request dated exactly ``max_skew_s`` away from
        ``now`` is accepted; one microsecond further is refused. ``parsed``, when given,
        must be ``parse_request`` of this same request: it saves parsing twice.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        if not secret_key:
            raise ValueError("secret_key must not be empty")
        auth = parsed if parsed is not None else _parse(request, self._service)
        self._check_skew(auth, now)
        canonical = _canonical_request(request, auth.signed_headers, _payload_hash(request, auth))
        cred = auth.credential
        string_to_sign = "\n".join(
            (
                ALGORITHM,
                auth.amz_date,
                f"{cred.date}/{cred.region}/{cred.service}/{TERMINATOR}",
                hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest(),
            )
        )
        key = self._signing_key(secret_key, cred)
        expected = hmac.digest(key, string_to_sign.encode(), "sha256").hex().encode()
        provided = auth.signature.encode("utf-8", "surrogatepass")
        if not hmac.compare_digest(expected, provided):
            raise InvalidSignatureException(SIGNATURE_MISMATCH)
        return cred

    def _check_skew(self, auth: ParsedAuthorization, now: datetime) -> None:
        skew_s = (now - auth.signed_at).total_seconds()
        if abs(skew_s) <= self._max_skew_s:
            return
        window = timedelta(seconds=self._max_skew_s)
        minutes = f"{self._max_skew_s / 60:g} min."
        now_utc = now.astimezone(UTC)
        if skew_s > 0:
            raise InvalidSignatureException(
                f"Signature expired: {auth.amz_date} is now earlier than "
                f"{_fmt(now_utc - window)} ({_fmt(now_utc)} - {minutes})"
            )
        raise InvalidSignatureException(
            f"Signature not yet current: {auth.amz_date} is still later than "
            f"{_fmt(now_utc + window)} ({_fmt(now_utc)} + {minutes})"
        )

    def _signing_key(self, secret_key: str, cred: Credential) -> bytes:
        # The secret itself is never a dict key: a digest of it is.
        fingerprint = hashlib.sha256(secret_key.encode("utf-8", "surrogatepass")).digest()
        cache_key = (fingerprint, cred.access_key_id, cred.date, cred.region, cred.service)
        with self._lock:
            key = self._keys.get(cache_key)
            if key is not None:
                self._keys.move_to_end(cache_key)
                return key
        key = _derive_signing_key(secret_key, cred)
        if self._cache_size:
            with self._lock:
                self._keys[cache_key] = key
                while len(self._keys) > self._cache_size:
                    self._keys.popitem(last=False)
        return key


def _derive_signing_key(secret_key: str, cred: Credential) -> bytes:
    key = ("AWS4" + secret_key).encode("utf-8", "surrogatepass")
    for part in (cred.date, cred.region, cred.service, TERMINATOR):
        key = hmac.digest(key, part.encode("utf-8", "surrogatepass"), "sha256")
    return key


def _parse(request: SignedRequest, service: str) -> ParsedAuthorization:
    headers = request.headers
    header = headers.get("authorization", "").strip()
    # AWS treats a header that is not SigV4-shaped at all (e.g. "Bearer …") as absent.
    if not header.startswith("AWS4-"):
        raise MissingAuthenticationTokenException(MISSING_AUTHENTICATION)
    algorithm, params = _split_header(header)

    amz_date = headers.get("x-amz-date")
    if amz_date is None or not params.keys() >= _REQUIRED_PARAMS:
        raise IncompleteSignatureException(_missing_parts(params, amz_date))
    signed_at = _parse_amz_date(amz_date)

    signed_headers = tuple(sorted({n.lower() for n in params["SignedHeaders"].split(";") if n}))
    if "host" not in signed_headers:
        raise InvalidSignatureException(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
        )
    if "x-amz-date" not in signed_headers:
        raise InvalidSignatureException(
            "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."
        )
    if algorithm != ALGORITHM:
        raise IncompleteSignatureException(
            f"Unsupported AWS 'algorithm': '{_echo(algorithm)}' (only {ALGORITHM} is supported)."
        )
    credential = _parse_credential(params["Credential"], service, amz_date)
    return ParsedAuthorization(credential, signed_headers, params["Signature"], amz_date, signed_at)


def _split_header(header: str) -> tuple[str, dict[str, str]]:
    # AWS splits on both commas and whitespace, so "Credential=AKID /2026…" fails here.
    algorithm, *tokens = header.replace(",", " ").split()
    params: dict[str, str] = {}
    for token in tokens:
        name, sep, value = token.partition("=")
        if not sep:
            raise IncompleteSignatureException(
                f"'{_echo(token)}' not a valid key=value pair (missing equal-sign) "
                "in Authorization header."
            )
        if name in params:
            raise IncompleteSignatureException(
                f"Authorization header has more than one '{_echo(name)}' parameter."
            )
        params[name] = value
    return algorithm, params


def _missing_parts(params: Mapping[str, str], amz_date: str | None) -> str:
    # AWS lists everything missing at once, in this order.
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if name not in params
    ]
    if amz_date is None:
        missing.append("Authorization header requires existence of a 'X-Amz-Date' header.")
    return " ".join(missing)


def _parse_amz_date(amz_date: str) -> datetime:
    if _AMZ_DATE.fullmatch(amz_date):
        d = amz_date
        try:
            return datetime(
                int(d[0:4]),
                int(d[4:6]),
                int(d[6:8]),
                int(d[9:11]),
                int(d[11:13]),
                int(d[13:15]),
                tzinfo=UTC,
            )
        except ValueError:  # e.g. month 13 or February 30
            pass
    raise IncompleteSignatureException(
        f"Date must be in ISO-8601 'basic format'. Got '{_echo(amz_date)}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _parse_credential(value: str, service: str, amz_date: str) -> Credential:
    parts = value.rstrip("/").split("/")
    if len(parts) != 5:
        raise IncompleteSignatureException(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{_echo(value)}'"
        )
    access_key_id, date, region, scope_service, terminator = parts
    # AWS joins every scope problem into one message; all but the date one end in ". ".
    problems = []
    if not _REGION.fullmatch(region):
        problems.append(f"Credential should be scoped to a valid region, not '{_echo(region)}'. ")
    if scope_service != service:
        problems.append(f"Credential should be scoped to correct service: '{service}'. ")
    if terminator != TERMINATOR:
        problems.append(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', "
            f"not '{_echo(terminator)}'. "
        )
    if date != amz_date[:8]:
        problems.append(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{_echo(date)}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    if problems:
        raise InvalidSignatureException("".join(problems))
    return Credential(access_key_id=access_key_id, date=date, region=region, service=service)


def _payload_hash(request: SignedRequest, auth: ParsedAuthorization) -> str:
    body_hash = hashlib.sha256(request.body).hexdigest()
    if "x-amz-content-sha256" not in auth.signed_headers:
        return body_hash
    # The client signed its claimed hash; it must also be the body's, or the body could
    # be swapped under a valid signature (this also refuses UNSIGNED-PAYLOAD).
    claimed = request.headers.get("x-amz-content-sha256", "")
    if claimed.lower() != body_hash:
        raise InvalidSignatureException(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    return claimed


def _canonical_request(
    request: SignedRequest, signed_headers: tuple[str, ...], payload_hash: str
) -> str:
    headers = request.headers
    canonical_headers = "".join(
        f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed_headers
    )
    return "\n".join(
        (
            request.method.upper(),
            _canonical_uri(request.path),
            _canonical_query(request.query),
            canonical_headers,
            ";".join(signed_headers),
            payload_hash,
        )
    )


def _canonical_uri(path: str) -> str:
    """Normalize the raw path (dot segments, repeated slashes), then encode it once more.

    The raw path is already percent-encoded by the client; non-S3 SigV4 encodes it a
    second time, so ``%20`` becomes ``%2520`` — exactly what botocore signs.
    """
    if path == "/":
        return path
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    normalized = "/" + "/".join(segments)
    if segments and path.endswith("/"):
        normalized += "/"
    return quote(normalized, safe="/~", errors="surrogatepass")


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((_encode_query_part(name), _encode_query_part(value)))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def _encode_query_part(raw: str) -> str:
    # Decode to bytes and re-encode strictly, so "%7e" and "~" or "%2f" and "%2F" agree.
    # "+" is a space: botocore sends params form-encoded ("a+b") but signs "a%20b".
    return quote(unquote_to_bytes(raw.replace("+", " ")), safe="-_.~")


def _fmt(at: datetime) -> str:
    return at.strftime(AMZ_DATE_FORMAT)


def _echo(value: str) -> str:
    """Client input quoted in a message, bounded so a message never carries a whole header."""
    return value if len(value) <= _ECHO_MAX else value[:_ECHO_MAX] + "..."
