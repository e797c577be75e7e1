package dev.prunelab.gateway.service;

import dev.prunelab.vocabulary.StructuredScore;
import dev.prunelab.vocabulary.StructuredTarget;
import dev.prunelab.vocabulary.RunStage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.ModelRef;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SearchRequest;
import dev.prunelab.events.SearchRequested;
import dev.prunelab.events.StructuredSpec;
import dev.prunelab.gateway.Fixtures;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless browser (Debian's chromium through its chromedriver; .ci/run installs both), 1280
 * px wide: a finished sweep loads, each plot has one point per measured run (energy and speed as ratios to dense,
 * paired and unpaired runs told apart), the Pareto front and the recommendation are drawn, the energy figures carry
 * "estimate", no two labels overlap, the runs table fits the page, and a click on a point opens that run's detail
 * with its per-layer chart; a search under way shows its state and candidates. The screenshots are kept in {@code target/dashboard.png} (the page) and
 * {@code target/dashboard-detail.png} (a run's detail open) and, when {@code PRUNELAB_CI_ARTIFACTS} names a folder,
 * copied there.
 */
@QuarkusTest
@WithTestResource(InMemoryChannels.class)
class DashboardBrowserTest {

    static final EventCodec CODEC = new EventCodec();

    @Inject
    @Any
    InMemoryConnector connector;

    @TestHTTPResource("/")
    URL dashboard;

    static final String SINGLE_RUN = "run-0123456789ab";

    /** A finished sweep of 5 runs (4 measured, one failed) and an earlier sweep of the same model (2 runs). */
    private void publishSweeps() {
        PruneSpec dense = PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.0);
        PruneSpec wanda = PruneSpec.unstructured(PruneMethod.WANDA, 0.5);
        PruneSpec s30 = PruneSpec.structured(new StructuredSpec(StructuredTarget.MLP_HEADS, 0.3, StructuredScore.FLAP, null, null));
        PruneSpec s50 = PruneSpec.structured(new StructuredSpec(StructuredTarget.MLP_HEADS, 0.5, StructuredScore.FLAP, null, null));
        List<Event> events = new ArrayList<>();
        ModelRef model = new ModelRef("/data/stories15M.bin", null);
        String[] ids = {"ui-dense", "ui-wanda", "ui-s30", "ui-s50", "ui-failed"};
        PruneSpec[] specs = {dense, wanda, s30, s50, PruneSpec.nm(PruneMethod.SPARSEGPT, "2:4")};
        for (int i = 0; i < ids.length; i++) {
            events.add(new RunRequested(ids[i], Fixtures.T0, "ui-sweep", model, specs[i], null, null));
        }
        double[][] figures = {{5.47, 0.0163, 0.0008, 440, 15}, {11.9, 0.0161, 0.0009, 446, 20},
            {9.1, 0.0132, 0.0004, 512, 12}, {14.9, 0.0102, 0.0004, 702, 12}};
        long[] sizes = {61_274_862, 61_274_862, 53_430_000, 48_910_000};
        for (int i = 0; i < 4; i++) {
            events.add(Fixtures.pruned(ids[i], specs[i], sizes[i], 20.0 + i));
            var evaluated = Fixtures.evaluated(ids[i], figures[i][0], sizes[i], figures[i][1], figures[i][2],
                    figures[i][3], figures[i][4], 800L << 20);
            // ui-s30 measured dense's model in its own window; the others were measured alone
            events.add(i == 2 ? Fixtures.pairedWith(evaluated, "ui-dense", 0.81, 0.02, 1.16, 0.02) : evaluated);
        }
        events.add(new RunFailed(ids[4], Fixtures.T0.plusSeconds(2), RunStage.PRUNE, "out of memory", null));
        for (int i = 0; i < 2; i++) {
            String id = "ui-old-" + i;
            events.add(new RunRequested(id, Fixtures.T0, "ui-earlier", model, specs[i], null, null));
            events.add(Fixtures.pruned(id, specs[i], sizes[i], 20.0));
            events.add(Fixtures.evaluated(id, figures[i][0], sizes[i], figures[i][1], figures[i][2], figures[i][3],
                    figures[i][4], 800L << 20));
        }
        // a single run (POST /api/runs: it belongs to no sweep) is listed in a table of its own
        events.add(new RunRequested(SINGLE_RUN, Fixtures.T0, null, model, wanda, null, null));
        events.add(Fixtures.pruned(SINGLE_RUN, wanda, sizes[1], 20.0));
        events.add(Fixtures.evaluated(SINGLE_RUN, 12.25, sizes[1], figures[1][1], figures[1][2], figures[1][3],
                figures[1][4], 800L << 20));
        // a search under way: accepted, its dense screen finished (the gateway proposes its other runs itself)
        SearchRequest search = new SearchRequest(SEARCH, model, null, null, List.of(PruneMethod.WANDA),
                List.of(0.5, 0.7), null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null);
        RunRequested denseScreen = search.screenRun(search.dense(), Fixtures.T0);
        events.add(new SearchRequested(search, Fixtures.T0));
        events.add(denseScreen);
        events.add(Fixtures.pruned(denseScreen.runId(), denseScreen.prune(), sizes[0], null));
        events.add(Fixtures.evaluated(denseScreen.runId(), 5.6, sizes[0], null, 0, 400, 10, 800L << 20));
        var source = connector.<String>source(PipelineEventsConsumer.CHANNEL);
        events.forEach(e -> source.send(CODEC.encode(e)));
    }

    static final String SEARCH = "ui-search";

    private static ChromeDriver chromium(Path profile) {
        Path browser = Path.of(System.getenv().getOrDefault("PRUNELAB_CHROMIUM", "/usr/bin/chromium"));
        Path driver = Path.of(System.getenv().getOrDefault("PRUNELAB_CHROMEDRIVER", "/usr/bin/chromedriver"));
        assertTrue(Files.isExecutable(browser) && Files.isExecutable(driver), "the dashboard test needs chromium "
                + "and chromedriver (Debian's chromium and chromium-driver; .ci/run installs them): " + browser
                + ", " + driver);
        ChromeOptions options = new ChromeOptions().setBinary(browser.toFile());
        // Headless, as root in CI, and without the background connections this closed network refuses.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,1900", "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile())
                .usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    @Test
    void aFinishedSweepIsPlottedAndAClickOpensTheRunsDetail() throws IOException {
        publishSweeps();
        Path profile = Files.createTempDirectory("prunelab-chromium-");
        ChromeDriver browser = chromium(profile);
        try {
            browser.get(dashboard.toString());
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(120));
            wait.until(ExpectedConditions.numberOfElementsToBe(
                    By.cssSelector("section[data-sweep='ui-sweep'] svg[data-plot='energy'] circle.point"), 4));
            // every event read (both sweeps drawn): the page is redrawn only when the data changes
            wait.until(ExpectedConditions.numberOfElementsToBe(
                    By.cssSelector("[data-testid='model-plots'] svg[data-plot='model-energy'] circle.point"), 6));
            wait.until(ExpectedConditions.numberOfElementsToBe(
                    By.cssSelector("section[data-sweep='ui-sweep'] table[data-testid='runs'] td.status-failed"), 1));

            WebElement sweep = browser.findElement(By.cssSelector("section[data-sweep='ui-sweep']"));
            for (String plot : List.of("energy", "speed")) {
                List<WebElement> points = sweep.findElements(By.cssSelector("svg[data-plot='" + plot + "'] circle.point"));
                assertEquals(List.of("ui-dense", "ui-wanda", "ui-s30", "ui-s50"),
                        points.stream().map(p -> p.getAttribute("data-run")).toList(), plot + ": one point per measured run");
                assertEquals(1, sweep.findElements(By.cssSelector("svg[data-plot='" + plot + "'] polyline[data-front]")).size(),
                        plot + ": the Pareto front is drawn");
            }
            // Energy and speed as ratios to dense: paired (ui-s30) and unpaired runs told apart.
            WebElement energyPlot = sweep.findElement(By.cssSelector("svg[data-plot='energy']"));
            assertEquals("ratio", energyPlot.getAttribute("data-x"));
            assertEquals("true", energyPlot.findElement(By.cssSelector("circle.point[data-run='ui-s30']"))
                    .getAttribute("data-paired"));
            assertEquals("false", energyPlot.findElement(By.cssSelector("circle.point[data-run='ui-wanda']"))
                    .getAttribute("data-paired"));
            // "estimate" is visible on every energy figure: the plot, the ratio and carbon columns
            WebElement mark = energyPlot.findElement(By.cssSelector("text.src-mark"));
            assertTrue(mark.isDisplayed() && mark.getText().equals("estimate"), mark.getText());
            assertTrue(energyPlot.getText().contains("decode J/token \u00f7 dense's (estimate)"), energyPlot.getText());
            for (String figure : List.of("energy-ratio", "carbon")) {
                WebElement header = sweep.findElement(By.cssSelector("table[data-testid='runs'] th[data-figure='" + figure + "']"));
                WebElement tag = header.findElement(By.cssSelector(".src.est"));
                assertTrue(tag.isDisplayed() && tag.getText().equals("estimate"), figure + ": " + header.getText());
            }
            // No two labels of a plot overlap, and the runs table fits the page at 1280 px.
            @SuppressWarnings("unchecked")
            List<Object> overlaps = (List<Object>) browser.executeScript("""
                    const found = [];
                    for (const svg of document.querySelectorAll("svg.plot")) {
                      const boxes = [...svg.querySelectorAll("text.label")].map((t) => [t.textContent, t.getBBox()]);
                      for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
                        const [a, p] = boxes[i], [b, q] = boxes[j];
                        if (p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height)
                          found.push(svg.dataset.plot + ": " + a + " / " + b);
                      }
                    }
                    return found;""");
            assertEquals(List.of(), overlaps);
            assertTrue(sweep.findElements(By.cssSelector("svg[data-plot='energy'] text.label")).size() >= 3,
                    "the front's runs are labelled");
            @SuppressWarnings("unchecked")
            List<Number> widths = (List<Number>) browser.executeScript("""
                    const wrap = document.querySelector("section[data-sweep='ui-sweep'] [data-testid='runs-wrap']");
                    const table = wrap.querySelector("table");
                    return [table.scrollWidth, wrap.clientWidth, document.documentElement.scrollWidth,
                            document.documentElement.clientWidth];""");
            assertTrue(widths.get(0).intValue() <= widths.get(1).intValue(), "the runs table overflows its container: "
                    + widths);
            assertTrue(widths.get(2).intValue() <= widths.get(3).intValue(), "the page scrolls sideways: " + widths);
            List<WebElement> pairing = sweep.findElements(By.cssSelector("table[data-testid='runs'] tr.run td.l"));
            assertTrue(pairing.stream().anyMatch(td -> td.getText().equals("unpaired"))
                    && pairing.stream().anyMatch(td -> td.getText().equals("paired")), "paired and unpaired runs are marked");
            save(browser, "dashboard.png");

            // Under the default 10% limit only dense is admissible: it is the one marked.
            assertEquals("ui-dense", sweep.findElement(By.cssSelector("svg[data-plot='energy'] circle[data-recommended]"))
                    .getAttribute("data-recommended"));
            List<WebElement> rows = sweep.findElements(By.cssSelector("table[data-testid='runs'] tr.run"));
            assertEquals(5, rows.size());
            assertEquals("dense", rows.get(0).findElements(By.tagName("td")).get(1).getText());
            String why = sweep.findElement(By.cssSelector("[data-testid='recommendation-reason']")).getText();
            assertTrue(why.startsWith("why: dense") && why.endsWith("the only run within the constraints"), why);
            // The two sweeps of the model are drawn together too.
            assertEquals(6, browser.findElements(By.cssSelector("[data-testid='model-plots'] svg[data-plot='model-energy'] "
                    + "circle.point")).size());

            sweep.findElement(By.cssSelector("svg[data-plot='energy'] circle.point[data-run='ui-s50']")).click();
            WebElement detail = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("run-detail")));
            assertEquals("ui-s50", detail.getAttribute("data-run"));
            assertTrue(detail.getText().contains("structured mlp+heads 0.5 flap"), detail.getText());
            assertTrue(detail.getText().contains("Energy window") && detail.getText().contains("idle baseline"),
                    detail.getText());
            assertTrue(detail.getText().contains("decode speed-up"), detail.getText());
            List<WebElement> bars = detail.findElements(By.cssSelector("[data-testid='layer-chart'] rect.bar"));
            assertEquals(6, bars.size(), "one bar per layer of the prune report");
            assertTrue(bars.get(0).findElement(By.tagName("title")).getAttribute("textContent")
                    .contains("50.0% removed, kept 3 heads, MLP 384"));

            assertTrue(detail.getText().contains("unpaired"), "ui-s50 was measured alone: " + detail.getText());
            assertTrue(detail.getText().contains("estimate"), detail.getText());
            save(browser, "dashboard-detail.png");

            // The search: its state and counts, and its candidates with the dense screen's figures done
            WebElement search = wait.until(ExpectedConditions.presenceOfElementLocated(
                    By.cssSelector("section[data-search='" + SEARCH + "']")));
            String counts = search.findElement(By.cssSelector("[data-testid='search-counts']")).getText();
            assertTrue(counts.startsWith("screened 0/2, promoted 0, full runs 0/0, published "), counts);
            assertEquals(List.of("wanda 0.5", "wanda 0.7"), search.findElements(By.cssSelector("tr[data-candidate]"))
                    .stream().map(r -> r.getAttribute("data-candidate")).toList());

            // The single run: its own row (no sweep, so no ratio to a dense run), and a click opens its detail.
            browser.findElement(By.id("close-detail")).click();
            WebElement single = wait.until(ExpectedConditions.presenceOfElementLocated(
                    By.cssSelector("table[data-testid='single-runs'] tr.run[data-run='" + SINGLE_RUN + "']")));
            List<String> cells = single.findElements(By.tagName("td")).stream().map(WebElement::getText).toList();
            assertEquals(List.of(SINGLE_RUN, "/data/stories15M.bin", "wanda", "0.5", "12.250"), cells.subList(0, 5));
            assertTrue(cells.get(6).contains("estimate"), "the energy figure names its source: " + cells);
            assertEquals(0, browser.findElements(By.cssSelector("section[data-sweep] [data-run='" + SINGLE_RUN + "']"))
                    .size(), "a single run is in no sweep's table or plot");
            browser.executeScript("arguments[0].scrollIntoView({block: 'center'})", single);
            single.findElement(By.cssSelector("td.id")).click();
            wait.until(ExpectedConditions.attributeToBe(By.id("run-detail"), "data-run", SINGLE_RUN));
        } finally {
            browser.quit();
        }
    }

    /** The page as the browser shows it, in target/ and, when PRUNELAB_CI_ARTIFACTS names a folder, there too. */
    private static void save(ChromeDriver browser, String name) throws IOException {
        Path shot = browser.getScreenshotAs(OutputType.FILE).toPath();
        Path kept = Files.createDirectories(Path.of("target")).resolve(name);
        Files.copy(shot, kept, StandardCopyOption.REPLACE_EXISTING);
        String artifacts = System.getenv("PRUNELAB_CI_ARTIFACTS");
        if (artifacts != null && !artifacts.isBlank()) {
            Files.copy(shot, Files.createDirectories(Path.of(artifacts)).resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
        assertTrue(Files.size(kept) > 10_000, "the screenshot is an image of the page");
    }
}
