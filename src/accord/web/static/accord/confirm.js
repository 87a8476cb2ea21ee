/* Forms with data-confirm ask before they submit (instead of an inline onsubmit handler,
 * which the Content-Security-Policy does not run). */
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
