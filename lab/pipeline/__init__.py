"""The data path: TLC data, the Avro contract, topics, the producer, the stream job, its sink, tables, truth."""
