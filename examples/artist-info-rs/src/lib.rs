//! Artist biographies and links for Navidrome, cached in the plugin's key-value store.
//! This example carries the mistakes nd-lsp is built to catch; run `nd-lsp check` on it.

use nd_pdk::host::{http, kvstore};
use nd_pdk::metadata::{
    ArtistBiographyProvider, ArtistBiographyResponse, ArtistRequest, ArtistURLProvider, ArtistURLResponse, Error,
};

const CACHE_PREFIX: &str = "bio:";

#[derive(Default)]
struct ArtistInfo;

impl ArtistBiographyProvider for ArtistInfo {
    fn get_artist_biography(&self, req: ArtistRequest) -> Result<ArtistBiographyResponse, Error> {
        let key = format!("{CACHE_PREFIX}{}", req.name);
        if let Ok(Some(cached)) = kvstore::get(&key) {
            let biography = String::from_utf8_lossy(&cached).into_owned();
            return Ok(ArtistBiographyResponse { biography });
        }
        let request = http::HTTPRequest {
            method: "GET".into(),
            url: format!("https://en.wikipedia.org/api/rest_v1/page/summary/{}", req.name),
            ..Default::default()
        };
        let response = http::send(request).map_err(|e| Error::new(e.to_string()))?;
        let biography = response
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .unwrap_or_default();
        kvstore::set_with_ttl(&key, biography.clone().into_bytes(), 0).map_err(|e| Error::new(e.to_string()))?;
        Ok(ArtistBiographyResponse { biography })
    }
}

impl ArtistURLProvider for ArtistInfo {
    fn get_artist_url(&self, req: ArtistRequest) -> Result<ArtistURLResponse, Error> {
        Ok(ArtistURLResponse { url: format!("https://en.wikipedia.org/wiki/{}", req.name) })
    }
}

nd_pdk::register_metadata_artist_biography!(ArtistInfo);

/// Forget every cached biography.
pub fn clear_cache() -> Result<i64, Error> {
    kvstore::delete_by_prefix("").map_err(|e| Error::new(e.to_string()))
}
