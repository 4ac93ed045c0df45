package dev.mmr.search;

import java.util.Map;

/**
 * The write API behind {@code POST /api/items} and {@code DELETE /api/items/{id}}: {@link StoreItemWrites} when the
 * server was given a write token, {@link #disabled()} otherwise.
 */
interface ItemWrites {
    /**
     * Checks the request's {@code Authorization} header before anything is read or written.
     *
     * @throws ApiException 401 without a bearer token, 403 with a wrong one or when writes are off
     */
    void authorize(String authorizationHeader);

    /** Encodes the image at full width and adds it under {@code id}, replacing any image with that id; visible on return. */
    void add(String id, byte[] image, String label, Map<String, String> fields);

    /** Deletes the image with {@code id}; visible on return. */
    void delete(String id);

    /** Writes refused: the server was started without a write token. */
    static ItemWrites disabled() {
        return new ItemWrites() {
            @Override
            public void authorize(String authorizationHeader) {
                throw new ApiException(403, "writes_disabled", "this server does not accept writes; start it with --write-token"
                        + " (or the environment variable MMR_WRITE_TOKEN) to allow POST and DELETE on /api/items");
            }

            @Override
            public void add(String id, byte[] image, String label, Map<String, String> fields) {
                authorize(null);
            }

            @Override
            public void delete(String id) {
                authorize(null);
            }
        };
    }
}
