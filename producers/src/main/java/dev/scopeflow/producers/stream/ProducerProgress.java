package dev.scopeflow.producers.stream;

/** Receives progress from a {@link CorpusProducer} run after each forward batch. */
public interface ProducerProgress {

    ProducerProgress NONE = new ProducerProgress() {
        @Override
        public void update(long documents, long tokens, double fractionRead) {}

        @Override
        public void finish(long documents, long tokens) {}
    };

    /** Called once when the corpus starts flowing, after the model is loaded, so rates and ETAs leave loading out. */
    default void start() {}

    /** {@code fractionRead} is NaN where the source's size is unknown (a worker's share of a corpus topic). */
    void update(long documents, long tokens, double fractionRead);

    void finish(long documents, long tokens);
}
