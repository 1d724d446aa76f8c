// upstream/provider
