// Package index writes click events into OpenSearch.
package index

import (
	"context"
	"fmt"

	"github.com/opensearch-project/opensearch-go/v4"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/clickstream/clickstream/services/platform/config"
)

// Config is how to reach OpenSearch.
type Config struct {
	URL      string        // OPENSEARCH_URL, http:// or https://
	Username string        // OPENSEARCH_USER
	Password config.Secret // OPENSEARCH_PASSWORD
}

// ReadConfig reads OPENSEARCH_URL, OPENSEARCH_USER and OPENSEARCH_PASSWORD.
func ReadConfig(env *config.Env) Config {
	var c Config
	if u := env.URL("OPENSEARCH_URL", true, "http", "https"); u != nil {
		c.URL = u.String()
	}
	c.Username = env.String("OPENSEARCH_USER", "")
	c.Password = config.Secret(env.String("OPENSEARCH_PASSWORD", ""))
	return c
}

// NewClient returns a client for c after checking that the cluster answers.
func NewClient(ctx context.Context, c Config) (*opensearchapi.Client, error) {
	client, err := opensearchapi.NewClient(opensearchapi.Config{
		Client: opensearch.Config{
			Addresses: []string{c.URL},
			Username:  c.Username,
			Password:  c.Password.Reveal(),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("opensearch client: %w", err)
	}
	if _, err := client.Info(ctx, nil); err != nil {
		return nil, fmt.Errorf("opensearch %s: %w", config.Mask(c.URL), err)
	}
	return client, nil
}
