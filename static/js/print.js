// A "Print" button for printable pages (no inline script under the content security policy).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
