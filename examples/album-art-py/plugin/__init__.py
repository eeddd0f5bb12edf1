# Album Art Finder: album covers from the Cover Art Archive, as a Python (extism-py) Navidrome plugin.
# This example carries mistakes that build fine and fail silently; run `nd-lsp check` on it.
#
# Build with: extism-py plugin/__init__.py -o plugin.wasm

import base64
import json

import extism

CACHE_TTL = 86400


@extism.import_fn("extism:host/user", "kvstore_setwithttl")
def _kvstore_setwithttl(offset: int) -> int: ...


@extism.import_fn("extism:host/user", "subsonicapi_call")
def _subsonicapi_call(offset: int) -> int: ...


def _call(host_function, request: dict) -> dict:
    memory = extism.memory.alloc(json.dumps(request).encode("utf-8"))
    response = json.loads(extism.memory.string(extism.memory.find(host_function(memory.offset))))
    if response.get("error"):
        raise RuntimeError(response["error"])
    return response


def remember(key: str, value: str) -> None:
    encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
    _call(_kvstore_setwithttl, {"key": key, "value": encoded, "ttl_seconds": CACHE_TTL})


def album_mbid(name: str) -> str:
    found = _call(_subsonicapi_call, {"uri": "search3?query=" + name})
    albums = json.loads(found.get("responseJson", "{}")).get("searchResult3", {}).get("album", [])
    return albums[0].get("musicBrainzId", "") if albums else ""


@extism.plugin_fn
def nd_get_album_image():
    request = extism.input_json()
    mbid = request.get("mbid") or album_mbid(request.get("name", ""))
    if not mbid:
        extism.output_json({})
        return
    url = f"https://coverartarchive.org/release/{mbid}/front-500"
    remember("cover:" + mbid, url)
    extism.output_json({"images": [{"url": url, "size": 500}]})
