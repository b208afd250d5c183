"""MongoDB: the gateway's own storage, through PyMongo's AsyncMongoClient."""
