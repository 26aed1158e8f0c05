"""Data Docs that work offline: GX's pages load bootstrap, jquery, vega and font-awesome from CDNs
(and a logo from S3 that carries the context id). `fetch` takes those exact files once, from the npm
registry (a tarball per package, checked against its pinned sha512), into the environment
(`<sys.prefix>/share/lumen/docs-assets`, like the kernelspec); `localize` copies them beside the site
and points every page at them. Without them (offline set-up) pages keep the CDN links and say so.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import ssl
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # npm's dist.integrity of the tarball
    files: dict[str, str]  # CDN URL -> the file inside the tarball (under package/)
    keep: tuple[str, ...] = ()  # more members a file needs (font-awesome's webfonts)

    @property
    def folder(self) -> str:
        return f"{self.name.replace('/', '+')}@{self.version}"

    @property
    def tarball(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name.split('/')[-1]}-{self.version}.tgz"


# The URLs GX 1.x's templates write (render/view/templates: page.j2, index_page.j2, js_script_imports.j2);
# test_validation's offline browser test fails if a release adds one.
PACKAGES = (
    Package(
        "bootstrap",
        "4.3.1",
        "sha512-rXqOmH1VilAt2DyPzluTi2blhk17bO7ef+zLLPlWvG494pDxcM234pJ8wTc/6R40UWizAIIMgxjvxZg5kmsbag==",
        {
            "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "dist/css/bootstrap.min.css",
            "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "dist/js/bootstrap.min.js",
        },
    ),
    Package(
        "bootstrap-table",
        "1.19.1",
        "sha512-WvV+l1AI/C+zThaKmfHmi/IuayVNB0qdFyEhFx1jyZhO0oLtNJNANkCR3rvJf6Dkh72dsLElxpE/bzK9seEQLA==",
        {
            "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": "dist/bootstrap-table.min.css",
            "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": "dist/bootstrap-table.min.js",
            "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
            # GX asks for 1.19.0's stylesheet of the same extension: 1.19.1's serves it
            "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": "dist/extensions/filter-control/bootstrap-table-filter-control.css",
            "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
        },
    ),
    Package(
        "jquery",
        "3.7.1",
        "sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
        {"https://code.jquery.com/jquery-3.7.1.min.js": "dist/jquery.min.js"},
    ),
    Package(
        "popper.js",
        "1.12.9",
        "sha512-s0EEi9xiSCdqz9lV4IiVH5yIZnDX/U1t0tCjB+0jXx9jW8lrR7kOpVupiUg175ogqVoudpDXHF1p6dKATCHMeg==",
        {"https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "dist/umd/popper.min.js"},
    ),
    Package(
        "bootstrap-datepicker",
        "1.9.0",
        "sha512-9rYYbaVOheGYxjOr/+bJCmRPihfy+LkLSg4fIFMT9Od8WwWB/MB50w0JO1eBgKUMbb7PFHQD5uAfI3ArAxZRXA==",
        {
            "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": "dist/css/bootstrap-datepicker.min.css",
            "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": "dist/js/bootstrap-datepicker.min.js",
        },
    ),
    Package(
        "@fortawesome/fontawesome-free",
        "6.6.0",
        "sha512-60G28ke/sXdtS9KZCpZSHHkCbdsOGEhIUGlwq6yhY74UpTiToIh8np7A8yphhM4BWsvNFtIvLpi4co+h9Mr9Ow==",
        {"https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": "css/all.min.css"},
        keep=("webfonts/",),
    ),
    Package(
        "@forevolve/bootstrap-dark",
        "1.1.0",
        "sha512-A3ucpEpxPoTVO490lZZCfjPXxv832l7mm1IxX3bXyxvgwnPGXDLyh7dWrphXKO8YBAu3EswbBEu3VSW8NRMW3A==",
        {
            "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": "dist/css/bootstrap-prefers-dark.css"
        },
    ),
    # GX names only the major versions: pinned to the newest of each on 2026-12-07
    Package(
        "vega",
        "5.33.1",
        "sha512-1fArfVDUqVbb5z8n+/nVQb+VNBzx8svY6CrsyTK4Ujm4yrd9I1auoKxBAPXLCavY1LcrbHUskQbGUP8gXOzyQw==",
        {"https://cdn.jsdelivr.net/npm/vega@5": "build/vega.min.js"},
    ),
    Package(
        "vega-lite",
        "5.23.0",
        "sha512-l4J6+AWE3DIjvovEoHl2LdtCUkfm4zs8Xxx7INwZEAv+XVb6kR6vIN1gt3t2gN2gs/y4DYTs/RPoTeYAuEg6mA==",
        {"https://cdn.jsdelivr.net/npm/vega-lite@5": "build/vega-lite.min.js"},
    ),
    Package(
        "vega-embed",
        "6.29.0",
        "sha512-PmlshTLtLFLgWtF/b23T1OwX53AugJ9RZ3qPE2c01VFAbgt3/GSNI/etzA/GzdrkceXFma+FDHNXUppKuM0U6Q==",
        {"https://cdn.jsdelivr.net/npm/vega-embed@6": "build/vega-embed.min.js"},
    ),
)

VENDOR = "static/vendor"  # inside the site
_SRI = re.compile(r'\s+integrity="[^"]*"\s+crossorigin="anonymous"')
_LOGO = re.compile(r"<img\s[^>]*great-expectations-web-assets[^>]*>", re.S)


def store() -> Path:
    return Path(sys.prefix) / "share" / "lumen" / "docs-assets"


def present(where: Path | None = None) -> bool:
    where = where or store()
    return all((where / p.folder / f).is_file() for p in PACKAGES for f in p.files.values())


def fetch(where: Path | None = None, timeout: float = 60) -> list[str]:
    """Download what is missing; returns the packages fetched. Raises OSError/ValueError on failure."""
    where = where or store()
    cafile = os.environ.get("SSL_CERT_FILE") or os.environ.get("PIP_CERT") or None
    context = ssl.create_default_context(cafile=cafile)
    fetched = []
    for p in PACKAGES:
        if all((where / p.folder / f).is_file() for f in p.files.values()):
            continue
        with urllib.request.urlopen(p.tarball, timeout=timeout, context=context) as response:
            data = response.read()
        algo, _, expected = p.integrity.partition("-")
        if base64.b64encode(hashlib.new(algo, data).digest()).decode() != expected:
            raise ValueError(f"{p.tarball} does not match its pinned {algo}")
        _extract(data, p, where / p.folder)
        fetched.append(f"{p.name}@{p.version}")
    return fetched


def _extract(data: bytes, p: Package, target: Path) -> None:
    wanted = set(p.files.values())
    tmp = target.with_name(target.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            name = member.name.removeprefix("package/")
            if member.isfile() and (name in wanted or name.startswith(p.keep or ("\0",))):
                out = tmp / name  # names come from the pinned list or a pinned folder of a checked tarball
                out.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None
                out.write_bytes(source.read())
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def localize(site: Path, where: Path | None = None) -> bool:
    """Point the site's pages at local copies; False (pages unchanged) if the copies are absent."""
    where = where or store()
    if not present(where):
        return False
    vendor = site / VENDOR
    for p in PACKAGES:
        if not (vendor / p.folder).is_dir():
            shutil.copytree(where / p.folder, vendor / p.folder)
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        if "https://" not in text:
            continue
        new = _LOGO.sub('<span class="h5 mb-0 text-muted">Great Expectations Data Docs</span>', text)
        for p in PACKAGES:
            for url, member in p.files.items():
                local = os.path.relpath(vendor / p.folder / member, page.parent)
                new = new.replace(f'"{url}"', f'"{Path(local).as_posix()}"')
        new = _SRI.sub("", new)  # the local files were checked against npm's sha512 instead
        if new != text:
            page.write_text(new, encoding="utf-8")
    return True


def main() -> int:
    """`python -m lumen.validate.docs_assets`: set-up's step (Makefile, Dockerfiles)."""
    try:
        got = fetch()
    except (OSError, ValueError) as exc:
        print(
            f"setup: Data Docs' styling and scripts not fetched ({exc}); the pages will load them from CDNs: "
            "run `make setup` again when the npm registry is reachable"
        )
        return 0
    if got:
        print(f"setup: Data Docs assets fetched for offline use ({len(got)} packages)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
