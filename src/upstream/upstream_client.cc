// upstream/upstream_client
