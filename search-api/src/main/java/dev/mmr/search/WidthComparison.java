package dev.mmr.search;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One query encoded by every trained level, searched against the same full-width index: each level's hits, encode
 * time and cost, and how many of its top k are also in the full-width query's top k (overlap@k). What a cheaper
 * query encoder costs in results, side by side.
 */
final class WidthComparison {
    private final SearchService service;

    /** One level's answer; {@code overlap} is the share of its hits that are also in the full-width query's hits. */
    record Column(SearchService.Submodel submodel, List<SearchService.Hit> hits, double encodeMs, boolean cached,
                  double searchMs, double overlap) {
    }

    /** The columns from the full width down; {@code reference} names the full-width level the overlaps compare with. */
    record Result(int k, String reference, List<Column> columns) {
    }

    WidthComparison(SearchService service) {
        this.service = service;
    }

    Result compare(byte[] image, String client, SearchService.SearchOptions options) {
        List<SearchService.SearchResult> answers = new ArrayList<>();
        for (SearchService.Submodel level : service.submodels()) {
            int number = Integer.parseInt(level.name().substring("level".length()));
            answers.add(service.search(image, client, new SearchService.SubmodelChoice(number, null, null), options));
        }
        Set<String> reference = ids(answers.getFirst().hits());
        List<Column> columns = new ArrayList<>();
        for (SearchService.SearchResult answer : answers) {
            long shared = answer.hits().stream().filter(h -> reference.contains(h.id())).count();
            double overlap = reference.isEmpty() ? 0 : (double) shared / reference.size();
            columns.add(new Column(answer.submodel(), answer.hits(), answer.timings().encodeMs(), answer.cached(),
                    answer.timings().searchMs(), overlap));
        }
        return new Result(options.k(), answers.getFirst().submodel().name(), columns);
    }

    private static Set<String> ids(List<SearchService.Hit> hits) {
        Set<String> ids = new HashSet<>();
        hits.forEach(h -> ids.add(h.id()));
        return ids;
    }
}
