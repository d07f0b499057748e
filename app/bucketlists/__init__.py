"""Bucketlists and the goals in them: /bucketlists/... (views) and .../<id>/items/... (items)."""
