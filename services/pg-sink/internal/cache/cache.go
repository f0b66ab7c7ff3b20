package cache

import (
	"context"
	"fmt"

	"github.com/valkey-io/valkey-go"
)

// Dial connects to the Valkey server at url (redis://, rediss:// or
// valkey:// with an optional password) and checks that it answers.
func Dial(ctx context.Context, url string) (valkey.Client, error) {
	opt, err := valkey.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("valkey url: %w", err)
	}
	client, err := valkey.NewClient(opt)
	if err != nil {
		return nil, fmt.Errorf("valkey %s: %w", opt.InitAddress, err)
	}
	if err := client.Do(ctx, client.B().Ping().Build()).Error(); err != nil {
		client.Close()
		return nil, fmt.Errorf("valkey %s: %w", opt.InitAddress, err)
	}
	return client, nil
}
