package dev.mmr.solr;

import dev.mmr.indexer.ImageFilter;
import dev.mmr.indexer.ImageRecord;
import dev.mmr.indexer.IndexSchema;
import dev.mmr.indexer.IndexSettings;
import dev.mmr.indexer.source.ImageEntry;
import dev.mmr.indexer.source.ImageLocation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.solr.client.solrj.util.ClientUtils;
import org.apache.solr.common.SolrDocument;
import org.apache.solr.common.SolrInputDocument;

/**
 * The collection's layout: one document per image ({@code id}, {@code path}, {@code label}, manifest fields under
 * their own names, {@code embedding} a {@code DenseVectorField} with dot-product similarity), plus one metadata
 * document ({@value #METADATA_ID}) whose {@value #METADATA_FIELD} holds what produced the collection, as JSON with
 * the keys of {@link IndexSchema}. The configset ({@code solrconfig.xml}, {@code schema.xml}) is made per collection,
 * since the vector field's dimension and HNSW settings are part of its schema.
 */
final class SolrSchema {
    static final String METADATA_ID = "mmr:index-metadata";
    static final String METADATA_FIELD = "mmr_metadata";
    private static final String VERSION = "_version_";
    private static final String SCORE = "score";
    private static final Set<String> NOT_FIELDS = Set.of(IndexSchema.ID, IndexSchema.PATH, IndexSchema.LABEL, IndexSchema.EMBEDDING,
            METADATA_FIELD, VERSION, SCORE);

    /** Every image document: all but the metadata document. */
    static final String IMAGES = "-" + IndexSchema.ID + ":" + ClientUtils.escapeQueryChars(METADATA_ID);

    private SolrSchema() {
    }

    /** The configset of a collection of {@code dimension}-dimensional embeddings, zipped as Solr's upload takes it. */
    static byte[] configset(int dimension, IndexSettings settings) throws IOException {
        String schema = resource("schema.xml")
                .replace("@DIMENSION@", Integer.toString(dimension))
                .replace("@MAX_CONNECTIONS@", Integer.toString(settings.maxConnections()))
                .replace("@BEAM_WIDTH@", Integer.toString(settings.beamWidth()));
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(zipped)) {
            for (var file : Map.of("schema.xml", schema, "solrconfig.xml", resource("solrconfig.xml")).entrySet()) {
                zip.putNextEntry(new ZipEntry(file.getKey()));
                zip.write(file.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return zipped.toByteArray();
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = SolrSchema.class.getResourceAsStream("configset/" + name)) {
            if (in == null) throw new IOException("configset file " + name + " missing from the classpath");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static SolrInputDocument document(ImageEntry entry, float[] embedding) {
        SolrInputDocument doc = new SolrInputDocument();
        doc.setField(IndexSchema.ID, entry.id());
        doc.setField(IndexSchema.PATH, entry.location().stored());
        if (entry.label() != null) doc.setField(IndexSchema.LABEL, entry.label());
        entry.fields().forEach(doc::setField);
        List<Float> vector = new ArrayList<>(embedding.length);
        for (float v : embedding) vector.add(v);
        doc.setField(IndexSchema.EMBEDDING, vector);
        return doc;
    }

    static ImageRecord record(SolrDocument doc) {
        Map<String, String> fields = new TreeMap<>();
        for (String name : doc.getFieldNames()) if (!NOT_FIELDS.contains(name)) fields.put(name, String.valueOf(doc.getFirstValue(name)));
        Object label = doc.getFirstValue(IndexSchema.LABEL);
        return new ImageRecord((String) doc.getFirstValue(IndexSchema.ID), ImageLocation.parse((String) doc.getFirstValue(IndexSchema.PATH)),
                label == null ? null : label.toString(), fields);
    }

    static float[] embedding(SolrDocument doc) {
        Object value = doc.getFieldValue(IndexSchema.EMBEDDING);
        if (!(value instanceof List<?> list)) throw new IllegalStateException("document " + doc.getFirstValue(IndexSchema.ID) + " has no stored embedding");
        float[] vector = new float[list.size()];
        for (int i = 0; i < vector.length; i++) vector[i] = ((Number) list.get(i)).floatValue();
        return vector;
    }

    /** The filter queries ({@code fq}) of an image filter: one for any of the labels, one per field. */
    static List<String> filterQueries(ImageFilter filter) {
        List<String> fq = new ArrayList<>();
        fq.add(IMAGES);
        if (filter == null) return fq;
        if (!filter.labels().isEmpty())
            fq.add(IndexSchema.LABEL + ":(" + String.join(" OR ", filter.labels().stream().map(ClientUtils::escapeQueryChars).toList()) + ")");
        filter.fields().forEach((name, value) -> fq.add(ClientUtils.escapeQueryChars(name) + ":" + ClientUtils.escapeQueryChars(value)));
        return fq;
    }

    /** A vector as the {@code knn} parser and the {@code vectorSimilarity} function read it: {@code [0.1,0.2,...]}. */
    static String vectorLiteral(float[] vector) {
        StringBuilder out = new StringBuilder(vector.length * 12).append('[');
        for (int i = 0; i < vector.length; i++) out.append(i == 0 ? "" : ",").append(vector[i]);
        return out.append(']').toString();
    }
}
