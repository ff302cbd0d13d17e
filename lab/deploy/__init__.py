"""The kind target: cluster, images, rendered manifests, apply in order and bounded waits."""
