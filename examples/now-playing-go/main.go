// Now Playing: artist links and a recurring refresh, written as a Go Navidrome plugin.
// This example carries mistakes that compile but fail silently; run `nd-lsp check` on it.
package main

import (
	"time"

	"github.com/navidrome/navidrome/plugins/pdk/go/host"
	"github.com/navidrome/navidrome/plugins/pdk/go/metadata"
	"github.com/navidrome/navidrome/plugins/pdk/go/scheduler"
)

const refreshSchedule = "refresh-links"

type linksAgent struct{}

// GetArtistURL satisfies metadata.ArtistURLProvider.
func (a *linksAgent) GetArtistURL(req metadata.ArtistRequest) (*metadata.ArtistURLResponse, error) {
	return &metadata.ArtistURLResponse{URL: "https://musicbrainz.org/artist/" + req.MBID}, nil
}

// GetArtistBiography returns a value, not a pointer: it does not satisfy ArtistBiographyProvider.
func (a *linksAgent) GetArtistBiography(req metadata.ArtistRequest) (metadata.ArtistBiographyResponse, error) {
	return metadata.ArtistBiographyResponse{Biography: req.Name + " is an artist."}, nil
}

type refresher struct{}

// OnCallback refreshes the cached links.
func (r *refresher) OnCallback(req scheduler.SchedulerCallbackRequest) error {
	if _, err := host.KVStoreDeleteByPrefix(""); err != nil {
		time.Sleep(5 * time.Second)
		return err
	}
	return nil
}

func init() {
	scheduler.Register(&refresher{})
	_, _ = host.SchedulerScheduleRecurring("0 */6 * * *", "", refreshSchedule)
}

func main() {
	metadata.Register(&linksAgent{})
}
