package dev.mmr.indexer;

import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A bounded hand-over between pipeline stages of {@code producers} threads and {@code consumers} threads. Each
 * producer calls {@link #done} when it has sent everything; once all have, every consumer's {@link #take} answers
 * empty after the last item.
 */
final class Channel<T> {
    private sealed interface Message<T> {
    }

    private record Item<T>(T value) implements Message<T> {
    }

    private record End<T>() implements Message<T> {
    }

    private final BlockingQueue<Message<T>> queue;
    private final int consumers;
    private int producersLeft;

    Channel(int capacity, int producers, int consumers) {
        this.queue = new ArrayBlockingQueue<>(capacity + consumers);
        this.producersLeft = producers;
        this.consumers = consumers;
    }

    void send(T value) throws InterruptedException {
        queue.put(new Item<>(value));
    }

    /** One producer has sent everything. */
    void done() throws InterruptedException {
        boolean last;
        synchronized (this) {
            last = --producersLeft == 0;
        }
        if (last) for (int i = 0; i < consumers; i++) queue.put(new End<>());
    }

    /** The next item, or empty once every producer is done and the items are taken (then this consumer stops). */
    Optional<T> take() throws InterruptedException {
        return switch (queue.take()) {
            case Item<T> item -> Optional.of(item.value());
            case End<T> end -> Optional.empty();
        };
    }
}
