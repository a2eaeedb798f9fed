// The print job page: poll the job's status every second, move the progress bar, and reload the page
// when the job has finished (the server then shows the download link or the error). Without JavaScript
// the page offers a "Tải lại" link instead.
(function () {
  var box = document.getElementById("print-job");
  if (!box || box.getAttribute("data-finished") === "true") {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("print-job-bar");
  var count = document.getElementById("print-job-count");
  var progress = bar.parentElement;

  function show(job) {
    bar.style.width = job.percent + "%";
    bar.textContent = job.percent + "%";
    progress.setAttribute("aria-valuenow", job.percent);
    count.textContent = job.done + "/" + job.total;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (job) {
        show(job);
        if (job.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000); // the server is busy or restarting: try again, more slowly
      });
  }

  window.setTimeout(poll, 1000);
})();
