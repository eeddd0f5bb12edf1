use nd_pdk::metadata::{ArtistBiographyProvider, ArtistBiographyResponse, ArtistRequest, Error};

#[derive(Default)]
struct MyPlugin;

impl ArtistBiographyProvider for MyPlugin {
    fn get_artist_biography(&self, req: ArtistRequest) -> Result<ArtistBiographyResponse, Error> {
        Ok(ArtistBiographyResponse {
            biography: format!("A biography of {}", req.name),
            ..Default::default()
        })
    }
}

nd_pdk::register_artist_biography!(MyPlugin);
