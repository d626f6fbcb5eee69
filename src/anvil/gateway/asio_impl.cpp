// The one translation unit that compiles Boost.Asio and Boost.Beast (BOOST_ASIO_SEPARATE_COMPILATION
// and BOOST_BEAST_SEPARATE_COMPILATION are set for every target linking anvil_gateway), so the
// other files only instantiate templates instead of each compiling the whole library.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
