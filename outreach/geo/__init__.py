"""Places without any outside service: ZIP centroids (public-domain Census ZCTA data) and distances."""
