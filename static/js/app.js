// Ask before destructive actions: any submit button with data-confirm="question".
document.addEventListener("submit", function (event) {
  var button = event.submitter;
  var question = button && button.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Submit a select's form as soon as a value is chosen: <select data-autosubmit> (a <noscript> button
// covers browsers without JavaScript). No inline handlers: the Content-Security-Policy forbids them.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select.matches && select.matches("select[data-autosubmit]") && select.form) {
    select.form.submit();
  }
});
