"""Self-signed certificates made at test time with the `openssl` command."""

import asyncio
import shutil
import ssl
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def trusting_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate alone, verifying names as usual."""
        return ssl.create_default_context(cafile=str(self.cert))


async def self_signed(directory: Path, name: str, *alt_names: str) -> Certificate:
    """A certificate for `name`, valid for the subjectAltName entries given (`DNS:x`, `IP:y`)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("the openssl command is not installed")
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    process = await asyncio.create_subprocess_exec(
        openssl,
        "req",
        "-x509",
        "-newkey",
        "ec",  # a P-256 key is made in milliseconds; an RSA one can take a second
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        f"/CN={name}",
        "-addext",
        "subjectAltName=" + ",".join(alt_names),
        "-keyout",
        str(key),
        "-out",
        str(cert),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"openssl failed: {errors.decode(errors='replace')}")
    return Certificate(cert, key)
